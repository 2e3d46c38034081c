# bench/lib.sh: shared by the bench scripts (sourced, not run).

# start_nginx WORKDIR PORT EXTRA_LISTEN_FLAGS: an nginx on 127.0.0.1:PORT
# serving "hello" over TLS with WORKDIR/cert.pem and key.pem, in the
# background; its PID is in $nginx_pid.
start_nginx() {
	local work=$1 port=$2 listen=$3 user=
	mkdir -p "$work/nginx"
	[ "$(id -u)" = 0 ] && user="user root;"
	cat >"$work/nginx.conf" <<CONF
$user
daemon off;
worker_processes 1;
pid $work/nginx/nginx.pid;
error_log $work/nginx/error.log;
events { worker_connections 1024; }
http {
	access_log off;
	client_body_temp_path $work/nginx/body;
	proxy_temp_path $work/nginx/proxy;
	fastcgi_temp_path $work/nginx/fastcgi;
	uwsgi_temp_path $work/nginx/uwsgi;
	scgi_temp_path $work/nginx/scgi;
	server {
		listen 127.0.0.1:$port $listen;
		ssl_protocols TLSv1.2 TLSv1.3;
		ssl_certificate $work/cert.pem;
		ssl_certificate_key $work/key.pem;
		location / { return 200 "hello\n"; }
	}
}
CONF
	nginx -c "$work/nginx.conf" -p "$work/nginx" -e "$work/nginx/error.log" &
	nginx_pid=$!
}

# wait_port PORT: wait until something accepts on 127.0.0.1:PORT (the
# probe is one connection that closes at once).
wait_port() {
	for _ in $(seq 100); do (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0; sleep 0.05; done
	echo "nothing listens on 127.0.0.1:$1" >&2
	return 1
}
