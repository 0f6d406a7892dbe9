// Parse throughput of InfluxDB 1.x's own line protocol parser (package
// models), on the corpus that inflow's benchmark writes, for comparison:
//
//   build/tests/inflow_bench --write-corpus /tmp/corpus.lp
//   GO111MODULE=off GOPATH=/usr/share/gocode go run -tags uint \
//       tests/bench/reference_parser/main.go /tmp/corpus.lp
package main

import (
	"fmt"
	"os"
	"time"

	"github.com/influxdata/influxdb1-client/models"
)

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: main CORPUS")
		os.Exit(2)
	}
	corpus, err := os.ReadFile(os.Args[1])
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	now := time.Now()
	points := 0
	runs := 0
	start := time.Now()
	for time.Since(start) < 3*time.Second {
		pts, err := models.ParsePointsWithPrecision(corpus, now, "n")
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		points += len(pts)
		runs++
	}
	elapsed := time.Since(start).Seconds()
	fmt.Printf("reference parser: %.1f MB/s, %.2f M points/s (%d runs)\n",
		float64(len(corpus)*runs)/elapsed/1e6, float64(points)/elapsed/1e6, runs)
}
