package index

import "hash/crc32"

// crcCombine returns the CRC-32C of a followed by b from crcA = CRC(a),
// crcB = CRC(b) and len(b), so that the parts of a section can be checked
// on several cores. Appending n bytes multiplies a's remainder by x^(8n)
// modulo the polynomial; the ones-complement conditioning cancels out
// (the method of zlib's crc32_combine).
func crcCombine(crcA, crcB uint32, lenB uint64) uint32 {
	return gfMul(xPow8n(lenB), crcA) ^ crcB
}

// gfMul multiplies a and b modulo the Castagnoli polynomial, in the
// reflected bit order CRC-32C uses (bit 31 is x^0).
func gfMul(a, b uint32) uint32 {
	var p uint32
	for m := uint32(1) << 31; m != 0; m >>= 1 {
		if a&m != 0 {
			p ^= b
		}
		if b&1 != 0 {
			b = b>>1 ^ crc32.Castagnoli
		} else {
			b >>= 1
		}
	}
	return p
}

// xPow8n returns x^(8n) modulo the polynomial, by squaring: x2k[k] is
// x^(2^k).
func xPow8n(n uint64) uint32 {
	p := uint32(1) << 31 // x^0
	x2k := uint32(1) << 30
	for k := 0; k < 3; k++ {
		x2k = gfMul(x2k, x2k) // x^8 after three squarings
	}
	for ; n != 0; n >>= 1 {
		if n&1 != 0 {
			p = gfMul(x2k, p)
		}
		x2k = gfMul(x2k, x2k)
	}
	return p
}
