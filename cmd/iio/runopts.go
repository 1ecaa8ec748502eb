package main

import "github.com/integratorio-go/integratorio"

// runOptions builds the options of flows run.
func runOptions(start, end string) (*integratorio.RunOptions, error) {
	if start != "" || end != "" {
		return nil, usagef("--start-date and --end-date need an SDK that types them")
	}
	return nil, nil
}
