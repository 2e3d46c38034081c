package lab

import (
	"bytes"
	"html/template"
	"sync"
)

// indexPage is parsed on first use, not at every start of the program.
var indexPage = sync.OnceValue(func() *template.Template {
	return template.Must(template.New("index").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>tlstrace lab</title></head>
<body><h1>tlstrace lab</h1>
<p>Each server below is broken in one way. Trust <code>{{.CA}}</code> and try it:</p>
<table>
<tr><th>name</th><th>kind</th><th>fault</th><th>exit</th><th>try</th></tr>
{{range .Servers}}<tr><td>{{.Name}}</td><td>{{.Kind}}</td><td>{{.Fault.Fault}}</td><td>{{.Exit}}{{if .Warning}} (warns){{end}}</td><td><code>tlstrace {{.URL}} --cacert {{$.CA}}</code>{{if .Scan}}, then <code>tlstrace scan {{.Host}} --cacert {{$.CA}}</code>{{end}}</td></tr>
{{end}}</table>
</body></html>
`))
})

// Index renders the HTML page listing servers, with the command that
// tries each against the root CA file ca.
func Index(servers []*Server, ca string) []byte {
	var b bytes.Buffer
	if err := indexPage().Execute(&b, struct {
		CA      string
		Servers []*Server
	}{ca, servers}); err != nil {
		return []byte(err.Error())
	}
	return b.Bytes()
}
