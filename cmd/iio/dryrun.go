package main

import "github.com/integratorio-go/integratorio"

// setDryRun asks the rollout to write nothing.
func setDryRun(_ *integratorio.RolloutOptions, dryRun bool) error {
	if dryRun {
		return usagef("--dry-run needs an SDK whose Rollout has a dry run")
	}
	return nil
}
