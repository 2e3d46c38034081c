# An image of tlstrace, for scans across many hosts (docs/scale.md).
# Build it from the repository's root: docker build -t tlstrace:local .
FROM golang:1.26-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN CGO_ENABLED=0 go build -trimpath -o /tlstrace ./cmd/tlstrace

# A shell (for the shard arithmetic of docs/scale.md) and the system's
# trusted roots (for the chain verdicts).
FROM debian:bookworm-slim
RUN apt-get update && apt-get install -y --no-install-recommends ca-certificates \
	&& rm -rf /var/lib/apt/lists/*
COPY --from=build /tlstrace /usr/local/bin/tlstrace
USER nobody
ENTRYPOINT ["/usr/local/bin/tlstrace"]
