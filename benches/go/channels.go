// Go's figures for the channel rows of issue 19, beside
// `cargo bench -p bobbin-benches --bench channels` and `--bench runtime`:
//
//   - ping_pong: two goroutines bounce a value over two channels of
//     capacity 1, 10k round trips (as `ping_pong/1_pair`); ns per hop (a
//     round trip is two hops);
//   - pairs: 1000 such pairs at once, 100 round trips each (as
//     `ping_pong/1000_pairs`); ns per hop;
//   - mpsc_bounded: 4 producers each send 1M ints into one channel of
//     capacity 1024, one consumer receives all 4M; M messages per second.
//
// Run: GOMAXPROCS=2 go run benches/go/channels.go
// Each row runs five times; the median and the runs are printed.
package main

import (
	"fmt"
	"sort"
	"sync"
	"time"
)

func pingPong(roundTrips int) {
	ping, pong := make(chan int, 1), make(chan int, 1)
	go func() {
		for n := range ping {
			pong <- n
		}
		close(pong)
	}()
	for i := 0; i < roundTrips; i++ {
		ping <- i
		<-pong
	}
	close(ping)
}

func pairs(count, roundTrips int) {
	var wg sync.WaitGroup
	wg.Add(count)
	for p := 0; p < count; p++ {
		go func() {
			defer wg.Done()
			pingPong(roundTrips)
		}()
	}
	wg.Wait()
}

func mpscBounded(producers, each int) {
	ch := make(chan uint64, 1024)
	var wg sync.WaitGroup
	wg.Add(producers)
	for p := 0; p < producers; p++ {
		go func() {
			defer wg.Done()
			for i := 0; i < each; i++ {
				ch <- uint64(i)
			}
		}()
	}
	go func() {
		wg.Wait()
		close(ch)
	}()
	var sum uint64
	for v := range ch {
		sum += v
	}
	if sum == 0 {
		panic("nothing received")
	}
}

func measure(name, unit string, runs int, f func() float64) {
	var figures []float64
	for i := 0; i < runs; i++ {
		figures = append(figures, f())
	}
	sorted := append([]float64(nil), figures...)
	sort.Float64s(sorted)
	fmt.Printf("%-14s go %10.1f %-12s %v\n", name, sorted[len(sorted)/2], unit, figures)
}

func main() {
	measure("ping_pong", "ns per hop", 11, func() float64 {
		start := time.Now()
		pingPong(10_000)
		return float64(time.Since(start).Nanoseconds()) / 20_000
	})
	measure("pairs", "ns per hop", 11, func() float64 {
		start := time.Now()
		pairs(1000, 100)
		return float64(time.Since(start).Nanoseconds()) / (1000 * 100 * 2)
	})
	measure("mpsc_bounded", "M msgs/s", 5, func() float64 {
		start := time.Now()
		mpscBounded(4, 1_000_000)
		return 4.0 / time.Since(start).Seconds()
	})
}
