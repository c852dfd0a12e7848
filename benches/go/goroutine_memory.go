// Run: GOMAXPROCS=2 go run benches/go/goroutine_memory.go (docs/benchmarks.md, memory).
// Memory per parked goroutine: a million goroutines, each blocked
// receiving from its own channel; resident-set growth divided by a million.
package main

import (
	"fmt"
	"os"
	"runtime"
	"strconv"
	"strings"
)

const n = 1_000_000

func rss() int64 {
	data, _ := os.ReadFile("/proc/self/statm")
	fields := strings.Fields(string(data))
	pages, _ := strconv.ParseInt(fields[1], 10, 64)
	return pages * int64(os.Getpagesize())
}

func main() {
	runtime.GC()
	base := rss()
	chans := make([]chan struct{}, n)
	for i := range chans {
		chans[i] = make(chan struct{})
	}
	runtime.GC()
	withChans := rss()
	started := make(chan struct{}, 1024)
	for i := 0; i < n; i++ {
		ch := chans[i]
		go func() {
			started <- struct{}{}
			<-ch
		}()
		<-started
	}
	runtime.GC()
	parked := rss()
	fmt.Printf("go %s, GOMAXPROCS %d, %d goroutines\n", runtime.Version(), runtime.GOMAXPROCS(0), n)
	fmt.Printf("channel alone:        %d bytes\n", (withChans-base)/n)
	fmt.Printf("goroutine + channel:  %d bytes\n", (parked-base)/n)
	fmt.Printf("goroutine alone:      %d bytes\n", (parked-withChans)/n)
	for _, ch := range chans {
		close(ch)
	}
}
