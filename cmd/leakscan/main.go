// Command leakscan finds what holds the memory in JVM heap dumps.
package main

import (
	"os"

	"github.com/leakscan/leakscan/internal/cli"
)

func main() { os.Exit(cli.Main(os.Args[1:], cli.System())) }
