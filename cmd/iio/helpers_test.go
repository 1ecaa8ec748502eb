package main

import "time"

func parseDuration(s string) (time.Duration, error) { return time.ParseDuration(s) }
