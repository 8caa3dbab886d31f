package pgtest

import (
	"net"
	"testing"
	"time"
)

func TestStartPauseResume(t *testing.T) {
	s, err := Start()
	if err != nil {
		Unavailable(t, err)
	}
	defer s.Close()
	dial := func() error {
		c, err := net.DialTimeout("tcp", s.Endpoint(), time.Second)
		if err == nil {
			c.Close()
		}
		return err
	}
	if err := dial(); err != nil {
		t.Fatalf("server not listening: %v", err)
	}
	if err := s.Pause(); err != nil {
		t.Fatal(err)
	}
	if err := dial(); err == nil {
		t.Fatal("server still listening after Pause")
	}
	if err := s.Resume(); err != nil {
		t.Fatal(err)
	}
	if err := dial(); err != nil {
		t.Fatalf("server not listening after Resume: %v", err)
	}
}
