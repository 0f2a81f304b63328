package store

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
)

// Reading the WAL before SQLite does.
//
// SQLite recovers a WAL by reading its frames in order and keeping those up to the last
// commit frame before the first frame that is not valid (wrong salt or wrong checksum). What
// follows is ignored without a word, and the next write overwrites it. After a crash that is
// right: a transaction whose commit frame is torn was never acknowledged. But a frame damaged
// on disk also ends the WAL there, and the committed transactions after it are lost
// silently. InspectWAL reads the file as SQLite will (https://sqlite.org/fileformat.html#the_write_ahead_log)
// and also looks past the first invalid frame: frames that still carry this WAL's salt and
// checksum correctly against their predecessor, with a commit among them, are committed work
// SQLite is about to drop. Frames with another salt are leftovers of an earlier cycle of the
// WAL file, which is normal.

// WALInfo is what the WAL file holds, as SQLite's recovery will see it.
type WALInfo struct {
	Exists bool
	Bytes  int64
	// Frames is the number of frames SQLite keeps (up to its last valid commit frame), and
	// Commits the transactions among them.
	Frames, Commits int
	// BadHeader: the file has bytes but not a valid WAL header, so SQLite ignores all of it.
	BadHeader bool
	// Torn counts frames after the kept ones that carry this WAL's salt but are not a
	// complete valid transaction: what a crash in the middle of a commit leaves.
	Torn int
	// LostCommits counts commit frames after the first invalid frame that still check out
	// against their predecessor: committed transactions that SQLite will drop because an
	// earlier frame is damaged.
	LostCommits int
}

// Damaged reports a WAL that SQLite will read only in part although it holds committed work
// beyond that part (or whose header is unreadable).
func (w WALInfo) Damaged() bool { return w.BadHeader || w.LostCommits > 0 }

const (
	walHeaderSize      = 32
	walFrameHeaderSize = 24
	walMagicLE         = 0x377f0682 // checksums over little-endian words
	walMagicBE         = 0x377f0683 // over big-endian words
)

// InspectWAL reads the WAL of the database at path ("path-wal") without changing it.
func InspectWAL(path string) (WALInfo, error) {
	var info WALInfo
	f, err := os.Open(path + "-wal")
	if errors.Is(err, os.ErrNotExist) {
		return info, nil
	}
	if err != nil {
		return info, fmt.Errorf("store: inspect WAL: %w", err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return info, fmt.Errorf("store: inspect WAL: %w", err)
	}
	info.Exists, info.Bytes = true, fi.Size()
	if info.Bytes == 0 {
		return info, nil
	}
	r := bufio.NewReaderSize(f, 1<<20)
	hdr := make([]byte, walHeaderSize)
	if _, err := io.ReadFull(r, hdr); err != nil {
		info.BadHeader = true
		return info, nil
	}
	w, ok := parseWALHeader(hdr)
	if !ok {
		info.BadHeader = true
		return info, nil
	}
	return w.scan(r, info)
}

// walReader walks the frames of one WAL file.
type walReader struct {
	order    binary.ByteOrder // of the checksum words
	pageSize int
	salt     [8]byte
	sum      [2]uint32 // running checksum
}

func parseWALHeader(h []byte) (*walReader, bool) {
	w := &walReader{}
	switch binary.BigEndian.Uint32(h[0:4]) {
	case walMagicLE:
		w.order = binary.LittleEndian
	case walMagicBE:
		w.order = binary.BigEndian
	default:
		return nil, false
	}
	w.pageSize = int(binary.BigEndian.Uint32(h[8:12]))
	if w.pageSize == 1 {
		w.pageSize = 65536
	}
	if w.pageSize < 512 || w.pageSize > 65536 || w.pageSize&(w.pageSize-1) != 0 {
		return nil, false
	}
	copy(w.salt[:], h[16:24])
	w.sum = walChecksum(w.order, h[:24], [2]uint32{})
	if w.sum[0] != binary.BigEndian.Uint32(h[24:28]) || w.sum[1] != binary.BigEndian.Uint32(h[28:32]) {
		return nil, false
	}
	return w, true
}

// scan reads every frame: SQLite's valid prefix first, then what lies past its end.
func (w *walReader) scan(r io.Reader, info WALInfo) (WALInfo, error) {
	frame := make([]byte, walFrameHeaderSize+w.pageSize)
	valid, broken := 0, false
	pendingTorn := 0 // frames of this salt after the last commit of the valid prefix
	for {
		if _, err := io.ReadFull(r, frame); err != nil {
			break // the end, or a partial last frame: what a crash mid-write leaves
		}
		saltOK := string(frame[8:16]) == string(w.salt[:])
		stored := [2]uint32{binary.BigEndian.Uint32(frame[16:20]), binary.BigEndian.Uint32(frame[20:24])}
		commit := binary.BigEndian.Uint32(frame[4:8]) != 0
		if !broken {
			sum := walChecksum(w.order, frame[walFrameHeaderSize:], walChecksum(w.order, frame[:8], w.sum))
			if saltOK && sum == stored {
				w.sum = sum
				valid++
				pendingTorn++
				if commit {
					info.Frames, info.Commits, pendingTorn = valid, info.Commits+1, 0
				}
				continue
			}
			broken = true
			if saltOK {
				pendingTorn++
			}
			w.sum = stored // later frames are checked against what this one claims
			continue
		}
		if !saltOK {
			continue // a leftover of an earlier cycle of the WAL file
		}
		sum := walChecksum(w.order, frame[walFrameHeaderSize:], walChecksum(w.order, frame[:8], w.sum))
		if sum == stored && commit {
			info.LostCommits++
		}
		pendingTorn++
		w.sum = stored
	}
	info.Torn = pendingTorn
	return info, nil
}

// walChecksum is the WAL's running checksum of b (a multiple of 8 bytes) from s.
func walChecksum(order binary.ByteOrder, b []byte, s [2]uint32) [2]uint32 {
	for i := 0; i+8 <= len(b); i += 8 {
		s[0] += order.Uint32(b[i:]) + s[1]
		s[1] += order.Uint32(b[i+4:]) + s[0]
	}
	return s
}
