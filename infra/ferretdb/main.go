// Command ferretdb runs FerretDB with its SQLite backend as a MongoDB-wire server for
// Parley's tests and development. It wraps the embeddable package because a plain
// `go install` of FerretDB's own command panics on its missing version file.
package main

import (
	"context"
	"flag"
	"log"
	"os"
	"os/signal"
	"runtime/debug"
	"syscall"

	"github.com/FerretDB/FerretDB/build/version"
	"github.com/FerretDB/FerretDB/ferretdb"
)

// reportModuleVersion fills in the version FerretDB reports, which its own build
// scripts normally embed and a module build leaves as "unknown".
func reportModuleVersion() {
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return
	}
	for _, dep := range info.Deps {
		if dep.Path == "github.com/FerretDB/FerretDB" {
			version.Get().Version = dep.Version
		}
	}
}

func main() {
	listen := flag.String("listen-addr", "127.0.0.1:27017", "host:port to serve the MongoDB wire protocol on")
	dataDir := flag.String("sqlite-dir", "./data", "folder for the SQLite database files")
	flag.Parse()

	if err := os.MkdirAll(*dataDir, 0o755); err != nil {
		log.Fatalf("ferretdb: cannot create %s: %v", *dataDir, err)
	}

	reportModuleVersion()
	f, err := ferretdb.New(&ferretdb.Config{
		Listener:  ferretdb.ListenerConfig{TCP: *listen},
		Handler:   "sqlite",
		SQLiteURL: "file:" + *dataDir + "/",
	})
	if err != nil {
		log.Fatalf("ferretdb: %v", err)
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	log.Printf("ferretdb: serving on %s", *listen)
	if err := f.Run(ctx); err != nil {
		log.Fatalf("ferretdb: %v", err)
	}
}
