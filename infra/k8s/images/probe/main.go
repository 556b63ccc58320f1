// probe: the test workload of the one-node cluster (infra/k8s). One static binary, so its
// image is one file like the pause image's. Arguments are steps, run in order:
//
//	probe serve ADDR              answer every HTTP request with 200 and the host name, forever
//	probe resolve NAME            print NAME's addresses (pod DNS: resolv.conf, search path)
//	probe --ca FILE get URL       GET URL, trusting FILE for https; fails unless 2xx
//	probe connect HOST:PORT       open a TCP connection (a database, a broker) and close it
//
// resolve, get and connect retry for up to 60 s: a Service's DNS name and its kube-proxy rules appear
// a moment after the Service does.
package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"
)

const patience = 60 * time.Second

func main() {
	args := os.Args[1:]
	var client = &http.Client{Timeout: 5 * time.Second}
	if len(args) == 0 {
		fail("usage: probe [serve ADDR] [resolve NAME] [--ca FILE] [get URL] [connect HOST:PORT] ...")
	}
	for len(args) >= 2 {
		step, arg := args[0], args[1]
		args = args[2:]
		switch step {
		case "serve":
			serve(arg)
		case "resolve":
			retry("resolve "+arg, func() error { return resolve(arg) })
		case "--ca":
			client = withCA(arg)
		case "get":
			retry("get "+arg, func() error { return get(client, arg) })
		case "connect":
			retry("connect "+arg, func() error { return connect(arg) })
		default:
			fail("unknown step " + step)
		}
	}
	if len(args) != 0 {
		fail("step " + args[0] + " needs an argument")
	}
}

func serve(addr string) {
	host, _ := os.Hostname()
	http.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "probe %s ok\n", host)
	})
	// Stopped is not failed: a pod deleted or rolled ends Completed, not Error.
	stop := make(chan os.Signal, 1)
	signal.Notify(stop, syscall.SIGTERM, syscall.SIGINT)
	go func() {
		<-stop
		os.Exit(0)
	}()
	fmt.Println("serving on", addr)
	fail(http.ListenAndServe(addr, nil).Error())
}

func resolve(name string) error {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	addrs, err := net.DefaultResolver.LookupHost(ctx, name)
	if err != nil {
		return err
	}
	fmt.Println(name, "=>", addrs)
	return nil
}

func get(client *http.Client, url string) error {
	res, err := client.Get(url)
	if err != nil {
		return err
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(res.Body, 4096))
	if res.StatusCode/100 != 2 {
		return fmt.Errorf("status %d: %s", res.StatusCode, body)
	}
	fmt.Printf("GET %s => %d %s\n", url, res.StatusCode, strings.TrimSpace(string(body)))
	return nil
}

func connect(addr string) error {
	conn, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		return err
	}
	fmt.Println("connected to", addr, "from", conn.LocalAddr())
	return conn.Close()
}

func withCA(file string) *http.Client {
	pem, err := os.ReadFile(file)
	if err != nil {
		fail(err.Error())
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		fail("no certificate in " + file)
	}
	transport := &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}
	return &http.Client{Timeout: 5 * time.Second, Transport: transport}
}

func retry(what string, try func() error) {
	deadline := time.Now().Add(patience)
	for {
		err := try()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			fail(what + ": " + err.Error())
		}
		fmt.Fprintln(os.Stderr, what+": "+err.Error()+" (retrying)")
		time.Sleep(time.Second)
	}
}

func fail(msg string) {
	fmt.Fprintln(os.Stderr, "probe:", msg)
	os.Exit(1)
}
