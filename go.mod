module github.com/leakscan/leakscan

go 1.26.8

require (
	github.com/dustin/go-humanize v1.0.1
	github.com/mattn/go-runewidth v0.0.9
	github.com/olekukonko/tablewriter v0.0.5
	github.com/santhosh-tekuri/jsonschema/v6 v6.0.2
	github.com/spf13/cobra v1.10.2
	github.com/spf13/pflag v1.0.9
	golang.org/x/exp v0.0.0-20261014143641-f0251eb4aa3e
	gopkg.in/yaml.v3 v3.0.1
)

require (
	github.com/inconshreveable/mousetrap v1.1.0 // indirect
	golang.org/x/text v0.14.0 // indirect
)
