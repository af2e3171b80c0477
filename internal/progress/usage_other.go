//go:build !unix

package progress

import "time"

// usage reports nothing where getrusage is missing.
func usage() (user, sys time.Duration, faults, peak int64, ok bool) { return 0, 0, 0, 0, false }
