package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/tlstrace/tlstrace/internal/golden"
)

// TestMain lets the scripts run tlstrace as a command: the test binary
// runs main when invoked under that name. After a full run, golden files
// no test compared fail it (-update removes them).
func TestMain(m *testing.M) {
	testscript.Main(golden.Wrap(m, goldenDir), map[string]func(){
		"tlstrace": main,
	})
}

// TestScript runs the CLI scripts of testdata/script ($TESTDATA is the
// shared testdata, $CAPTURES testdata/captures): usage errors, exit
// codes, files written and their modes. With -update, the files a failed
// cmp compares with are rewritten in the script.
func TestScript(t *testing.T) {
	td, err := filepath.Abs(td)
	if err != nil {
		t.Fatal(err)
	}
	captures, err := filepath.Abs(filepath.Join("testdata", "captures"))
	if err != nil {
		t.Fatal(err)
	}
	testscript.Run(t, testscript.Params{
		Dir:                 filepath.Join("testdata", "script"),
		UpdateScripts:       *golden.Update,
		RequireExplicitExec: true,
		RequireUniqueNames:  true,
		Setup: func(e *testscript.Env) error {
			e.Setenv("TESTDATA", td)
			e.Setenv("CAPTURES", captures)
			e.Setenv("NO_COLOR", "1")
			return nil
		},
		Cmds: map[string]func(ts *testscript.TestScript, neg bool, args []string){
			"status": cmdStatus,
			"mode":   cmdMode,
			"limbo":  cmdLimbo,
			"listen": cmdListen,
		},
	})
}

// status CODE PROGRAM ARGS... runs PROGRAM as exec does and checks that it
// exits with CODE; its output is then what stdout and stderr match.
func cmdStatus(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 2 {
		ts.Fatalf("usage: status CODE PROGRAM [ARGS...]")
	}
	want, err := strconv.Atoi(args[0])
	if err != nil {
		ts.Fatalf("status: bad exit code %q", args[0])
	}
	err = ts.Exec(args[1], args[2:]...)
	got := 0
	var ee *exec.ExitError
	switch {
	case errors.As(err, &ee):
		got = ee.ExitCode()
	case err != nil:
		ts.Fatalf("status: %v", err)
	}
	if got != want {
		ts.Fatalf("%s exited with %d, want %d", args[1], got, want)
	}
}

// mode PERM FILE checks the permission bits of FILE (e.g. mode 0600 key.pem).
func cmdMode(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 2 {
		ts.Fatalf("usage: mode PERM FILE")
	}
	want, err := strconv.ParseUint(args[0], 8, 32)
	if err != nil {
		ts.Fatalf("mode: bad permissions %q", args[0])
	}
	fi, err := os.Stat(ts.MkAbs(args[1]))
	ts.Check(err)
	got := fi.Mode().Perm()
	if (got == os.FileMode(want)) == neg {
		ts.Fatalf("%s has mode %04o; want %s%04o", args[1], got, map[bool]string{true: "not ", false: ""}[neg], want)
	}
}

// limbo HOST writes the chain of the x509-limbo case for HOST as
// HOST.root.pem, HOST.untrusted.pem and HOST.leaf.pem, and its validation
// time as the variable AT.
func cmdLimbo(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: limbo HOST")
	}
	host := args[0]
	b, err := os.ReadFile(filepath.Join(ts.Getenv("TESTDATA"), "x509-limbo-online", host+".limbo.json"))
	ts.Check(err)
	l, err := parseLimbo(b)
	ts.Check(err)
	for name, pems := range map[string][]string{".root.pem": l.Trusted, ".untrusted.pem": l.Intermediates, ".leaf.pem": {l.Peer}} {
		ts.Check(os.WriteFile(ts.MkAbs(host+name), []byte(strings.Join(pems, "")), 0o644))
	}
	ts.Setenv("AT", l.At)
}

// limboCase is the part of an x509-limbo test case the tests use.
type limboCase struct {
	Trusted       []string               `json:"trusted_certs"`
	Intermediates []string               `json:"untrusted_intermediates"`
	Peer          string                 `json:"peer_certificate"`
	At            string                 `json:"validation_time"`
	Name          struct{ Value string } `json:"expected_peer_name"`
}

func parseLimbo(b []byte) (*limboCase, error) {
	var c limboCase
	if err := json.Unmarshal(b, &c); err != nil {
		return nil, fmt.Errorf("limbo case: %w", err)
	}
	if c.Peer == "" || len(c.Trusted) == 0 {
		return nil, errors.New("limbo case: no certificates")
	}
	return &c, nil
}
