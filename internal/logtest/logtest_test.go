package logtest

import (
	"fmt"
	"sync"
	"testing"
)

func TestBufferTakesWritesFromManyGoroutines(t *testing.T) {
	var b Buffer
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() {
			for j := range 50 {
				fmt.Fprintf(&b, "{\"writer\":%d,\"n\":%d}\n", i, j)
				_ = b.String() // reads while others write (go test -race)
			}
		})
	}
	wg.Wait()
	if got := len(b.Records(t)); got != 8*50 {
		t.Errorf("%d records, want %d", got, 8*50)
	}
}
