//go:build !cgo

package packfile

import (
	"bytes"
	"compress/zlib"
	"fmt"
	"io"
)

// Fast reports whether objects are inflated by the system's zlib. Without cgo they
// are inflated by Go's compress/zlib, correct but slower than git cat-file, so
// callers should prefer git.
const Fast = false

type inflater struct {
	r  io.ReadCloser
	br bytes.Reader
}

func newInflater() (*inflater, error) { return &inflater{}, nil }

func (z *inflater) reset(src []byte) error {
	z.br.Reset(src)
	var err error
	if z.r == nil {
		z.r, err = zlib.NewReader(&z.br)
	} else {
		err = z.r.(zlib.Resetter).Reset(&z.br, nil)
	}
	if err != nil {
		return fmt.Errorf("%w: %v", ErrCorrupt, err)
	}
	return nil
}

func (z *inflater) inflatePrefix(src, dst []byte) (int, error) {
	if err := z.reset(src); err != nil {
		return 0, err
	}
	n, err := io.ReadFull(z.r, dst)
	if err != nil && err != io.ErrUnexpectedEOF && err != io.EOF {
		return 0, fmt.Errorf("%w: %v", ErrCorrupt, err)
	}
	return n, nil
}

func (z *inflater) inflate(src, dst []byte) error {
	if err := z.reset(src); err != nil {
		return err
	}
	if _, err := io.ReadFull(z.r, dst); err != nil {
		return fmt.Errorf("%w: %v", ErrCorrupt, err)
	}
	var one [1]byte
	if n, err := z.r.Read(one[:]); n != 0 || err != io.EOF {
		return fmt.Errorf("%w: inflated size differs from the recorded %d bytes", ErrCorrupt, len(dst))
	}
	return nil
}
