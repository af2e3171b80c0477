package heap

// idMap is an open-addressing hash table from non-zero ids to int32, for
// the few thousand class ids that millions of instance records name.
type idMap struct {
	keys  []uint64
	vals  []int32
	shift uint
}

func newIDMap(n int) *idMap {
	size, shift := 16, uint(60)
	for size < 2*n {
		size *= 2
		shift--
	}
	return &idMap{keys: make([]uint64, size), vals: make([]int32, size), shift: shift}
}

func (m *idMap) slot(k uint64) int { return int((k * 0x9E3779B97F4A7C15) >> m.shift) }

func (m *idMap) put(k uint64, v int32) {
	mask := len(m.keys) - 1
	for i := m.slot(k); ; i = (i + 1) & mask {
		if m.keys[i] == 0 || m.keys[i] == k {
			m.keys[i], m.vals[i] = k, v
			return
		}
	}
}

func (m *idMap) get(k uint64) (int32, bool) {
	mask := len(m.keys) - 1
	for i := m.slot(k); ; i = (i + 1) & mask {
		switch m.keys[i] {
		case k:
			return m.vals[i], k != 0
		case 0:
			return 0, false
		}
	}
}
