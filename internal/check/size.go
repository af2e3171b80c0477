package check

import "github.com/dustin/go-humanize"

func humanBytes(b uint64) string { return humanize.IBytes(b) }
