// Go's figure for `cargo bench -p bobbin-benches --bench jobs` (issue 19):
// 100k goroutines that each spin for 10 µs of CPU, started from one
// goroutine and waited for; wall time divided by the ideal
// (100k × 10 µs / GOMAXPROCS).
//
// Run: GOMAXPROCS=2 go run benches/go/jobs.go
// Seven runs; the median and the runs are printed.
package main

import (
	"fmt"
	"runtime"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

const jobs = 100_000
const job = 10 * time.Microsecond

var sink uint64

func spin() uint64 {
	start := time.Now()
	var x uint64
	for time.Since(start) < job {
		for i := uint64(0); i < 64; i++ {
			x = x*31 + i
		}
	}
	return x
}

func fanOut() time.Duration {
	var wg sync.WaitGroup
	start := time.Now()
	wg.Add(jobs)
	for i := 0; i < jobs; i++ {
		go func() {
			atomic.AddUint64(&sink, spin())
			wg.Done()
		}()
	}
	wg.Wait()
	return time.Since(start)
}

func main() {
	ideal := float64(jobs) * job.Seconds() / float64(runtime.GOMAXPROCS(0))
	var ratios []float64
	for r := 0; r < 7; r++ {
		ratios = append(ratios, fanOut().Seconds()/ideal)
	}
	shown := make([]string, len(ratios))
	for i, r := range ratios {
		shown[i] = fmt.Sprintf("%.3f", r)
	}
	sort.Float64s(ratios)
	fmt.Printf("fan-out  go  %.3f  [%s]  (ideal %.3f s, GOMAXPROCS=%d)\n",
		ratios[len(ratios)/2], strings.Join(shown, ", "), ideal, runtime.GOMAXPROCS(0))
}
