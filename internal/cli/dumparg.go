package cli

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// historyFile remembers, per working folder, the dump analysed last from
// it, so that `leakscan paths --class X` works without naming the dump.
func historyFile() string {
	dir, err := os.UserCacheDir()
	if err != nil {
		return ""
	}
	return filepath.Join(dir, "leakscan", "history.json")
}

func readHistory() map[string]string {
	h := map[string]string{}
	if p := historyFile(); p != "" {
		if b, err := os.ReadFile(p); err == nil {
			json.Unmarshal(b, &h)
		}
	}
	return h
}

// remember records dump as the last one analysed from the working folder.
func remember(dump string) {
	p := historyFile()
	wd, err := os.Getwd()
	if p == "" || err != nil {
		return
	}
	abs, err := filepath.Abs(dump)
	if err != nil {
		return
	}
	h := readHistory()
	if h[wd] == abs {
		return
	}
	h[wd] = abs
	b, _ := json.MarshalIndent(h, "", "  ")
	os.MkdirAll(filepath.Dir(p), 0o755)
	tmp := p + fmt.Sprintf(".%d", os.Getpid())
	if os.WriteFile(tmp, b, 0o644) == nil {
		os.Rename(tmp, p)
	}
}

// resolveDump returns the dump a command works on: the argument, else the
// only .hprof/.hprof.gz in the working folder, else the one analysed last
// from it (saying so on stderr).
func resolveDump(s *IOStreams, args []string) (string, error) {
	if len(args) > 0 {
		return args[0], nil
	}
	var found []string
	for _, pat := range []string{"*.hprof", "*.hprof.gz"} {
		m, _ := filepath.Glob(pat)
		for _, f := range m {
			if st, err := os.Stat(f); err == nil && st.Mode().IsRegular() { // a folder so named is no dump
				found = append(found, f)
			}
		}
	}
	sort.Strings(found)
	if len(found) == 1 {
		fmt.Fprintf(s.Err, "leakscan: using %s, the only heap dump in this folder\n", found[0])
		return found[0], nil
	}
	if wd, err := os.Getwd(); err == nil {
		if last, ok := readHistory()[wd]; ok {
			if _, err := os.Stat(last); err == nil {
				fmt.Fprintf(s.Err, "leakscan: using %s, the dump analysed last from this folder\n", last)
				return last, nil
			}
		}
	}
	if len(found) == 0 {
		return "", &ExitError{Code: ExitError2, Err: fmt.Errorf("no DUMP given and no .hprof or .hprof.gz file in this folder")}
	}
	return "", &ExitError{Code: ExitError2, Err: fmt.Errorf("no DUMP given and %d heap dumps in this folder; name one: %s", len(found), strings.Join(found, ", "))}
}
