// Go's figures for the rows of `cargo bench -p bobbin-benches --bench idle`
// (issue 19): an idle runtime's cost, a 1 ms ticker's lateness (idle, and
// with a goroutine hogging a P for 300 ms), and 100 µs sleeps.
//
// Run: GOMAXPROCS=2 go run benches/go/idle.go
// Each row runs three times; the median and the runs are printed.
package main

import (
	"fmt"
	"sort"
	"syscall"
	"time"
)

const ticks = 1000

func usage() (float64, int64) {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		panic(err)
	}
	ms := func(tv syscall.Timeval) float64 { return float64(tv.Sec)*1e3 + float64(tv.Usec)/1e3 }
	return ms(ru.Utime) + ms(ru.Stime), ru.Nvcsw + ru.Nivcsw
}

func idle() (float64, float64) {
	done := make(chan struct{})
	go func() { close(done) }()
	<-done
	cpu, sw := usage()
	time.Sleep(3 * time.Second)
	cpu2, sw2 := usage()
	return cpu2 - cpu, float64(sw2 - sw)
}

// ticker returns the mean and worst lateness (ms) of 1000 ticks of a 1 ms
// ticker; with hog, a goroutine spins for 300 ms after the 100th tick.
// Each tick is a sleep until its due time (start + k ms): Go's
// time.Ticker drops ticks for a slow receiver and sends the time it fired,
// so its lateness against the schedule would count drift, not precision.
// The third figure is the worst of ticks 100 to 110 (due as the hog starts).
func ticker(hog bool) (float64, float64, float64) {
	start := time.Now()
	var sum, worst, atBlock float64
	for k := 1; k <= ticks; k++ {
		if hog && k == 100 {
			go func() {
				end := time.Now().Add(300 * time.Millisecond)
				for time.Now().Before(end) {
				}
			}()
		}
		due := start.Add(time.Duration(k) * time.Millisecond)
		time.Sleep(time.Until(due))
		late := float64(time.Since(due)) / 1e6
		if late < 0 {
			late = 0
		}
		sum += late
		if late > worst {
			worst = late
		}
		if k >= 100 && k <= 110 && late > atBlock {
			atBlock = late
		}
	}
	return sum / ticks, worst, atBlock
}

func sleeps() float64 {
	start := time.Now()
	for i := 0; i < 1000; i++ {
		time.Sleep(100 * time.Microsecond)
	}
	return float64(time.Since(start)) / 1e3 / 1000
}

func report(name string, runs []float64) {
	shown := fmt.Sprint(runs)
	sorted := append([]float64(nil), runs...)
	sort.Float64s(sorted)
	fmt.Printf("  %-28s go %10.3f  %s\n", name, sorted[len(sorted)/2], shown)
}

func main() {
	var cpu, sw, mean, worst, blocked, atBlock, sleep []float64
	for i := 0; i < 3; i++ {
		c, s := idle()
		cpu, sw = append(cpu, c), append(sw, s)
		m, w, _ := ticker(false)
		mean, worst = append(mean, m), append(worst, w)
		_, b, a := ticker(true)
		blocked, atBlock = append(blocked, b), append(atBlock, a)
		sleep = append(sleep, sleeps())
	}
	fmt.Println("idle")
	report("CPU ms", cpu)
	report("context switches", sw)
	fmt.Println("ticker")
	report("mean lateness ms", mean)
	report("worst lateness ms", worst)
	fmt.Println("ticker_blocked")
	report("worst lateness ms", blocked)
	report("worst, ticks 100-110", atBlock)
	fmt.Println("sleep_100us")
	report("mean sleep µs", sleep)
}
