//go:build cgo

package packfile

/*
#cgo LDFLAGS: -lz
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

// lookout_inflate inflates one zlib stream from src into exactly dstlen bytes of dst.
// It returns 0 when the stream ends exactly there, a zlib error code (negative)
// otherwise, or 1 when the stream is longer or shorter than dstlen.
static int lookout_inflate(z_stream *s, unsigned char *src, size_t srclen, unsigned char *dst, size_t dstlen) {
	unsigned char spare;
	int ret = inflateReset(s);
	if (ret != Z_OK) return ret;
	s->next_in = src;
	s->avail_in = (uInt)(srclen > 0xffffffffu ? 0xffffffffu : srclen);
	// An empty object still has a stream to finish: give zlib somewhere to write the
	// byte that must not come.
	s->next_out = dstlen > 0 ? dst : &spare;
	s->avail_out = (uInt)(dstlen > 0 ? dstlen : 1);
	if (dstlen > 0xffffffffu) return 1;
	ret = inflate(s, Z_FINISH);
	if (ret == Z_STREAM_END) return (dstlen > 0 ? s->avail_out == 0 : s->avail_out == 1) ? 0 : 1;
	if (ret == Z_OK || ret == Z_BUF_ERROR) return 1;
	return ret;
}

// lookout_inflate_prefix inflates at most dstlen bytes from the start of the zlib
// stream at src, returning how many it produced, or a zlib error code (negative).
// Nothing of the stream is kept: the caller inflates again from the start.
static long lookout_inflate_prefix(z_stream *s, unsigned char *src, size_t srclen, unsigned char *dst, size_t dstlen) {
	int ret = inflateReset(s);
	if (ret != Z_OK) return ret;
	s->next_in = src;
	s->avail_in = (uInt)(srclen > 0xffffffffu ? 0xffffffffu : srclen);
	s->next_out = dst;
	s->avail_out = (uInt)dstlen;
	ret = inflate(s, Z_SYNC_FLUSH);
	if (ret != Z_OK && ret != Z_STREAM_END && ret != Z_BUF_ERROR) return ret;
	return (long)(dstlen - s->avail_out);
}

static z_stream *lookout_inflate_new(void) {
	z_stream *s = calloc(1, sizeof(z_stream));
	if (s == NULL) return NULL;
	if (inflateInit(s) != Z_OK) { free(s); return NULL; }
	return s;
}

static void lookout_inflate_free(z_stream *s) {
	inflateEnd(s);
	free(s);
}
*/
import "C"

import (
	"errors"
	"fmt"
	"runtime"
	"unsafe"
)

// Fast reports whether objects are inflated by the system's zlib, which inflates
// about half again as fast as Go's compress/flate: only then does reading packs in
// process beat git cat-file.
const Fast = true

// inflater is one zlib stream state, reused for every object a Reader inflates.
type inflater struct {
	s *C.z_stream
}

func newInflater() (*inflater, error) {
	s := C.lookout_inflate_new()
	if s == nil {
		return nil, errors.New("packfile: cannot initialise zlib")
	}
	z := &inflater{s: s}
	runtime.SetFinalizer(z, (*inflater).free)
	return z, nil
}

func (z *inflater) free() {
	if z.s != nil {
		C.lookout_inflate_free(z.s)
		z.s = nil
	}
}

// inflatePrefix fills up to len(dst) bytes of dst from the start of the zlib stream at
// src and returns how many; the stream may go on.
func (z *inflater) inflatePrefix(src, dst []byte) (int, error) {
	if len(src) == 0 || len(dst) == 0 {
		return 0, fmt.Errorf("%w: no data to inflate", ErrCorrupt)
	}
	n := C.lookout_inflate_prefix(z.s, (*C.uchar)(unsafe.Pointer(&src[0])), C.size_t(len(src)), (*C.uchar)(unsafe.Pointer(&dst[0])), C.size_t(len(dst)))
	runtime.KeepAlive(src)
	runtime.KeepAlive(dst)
	if n < 0 {
		return 0, fmt.Errorf("%w: zlib error %d", ErrCorrupt, int(n))
	}
	return int(n), nil
}

// inflate fills dst from the zlib stream at the start of src, which must produce
// exactly len(dst) bytes. Both may be Go memory, which holds no pointers, as cgo
// requires; zlib keeps no pointer to them after the call.
func (z *inflater) inflate(src, dst []byte) error {
	if len(src) == 0 {
		return fmt.Errorf("%w: no data to inflate", ErrCorrupt)
	}
	var d *C.uchar
	if len(dst) > 0 {
		d = (*C.uchar)(unsafe.Pointer(&dst[0]))
	}
	r := C.lookout_inflate(z.s, (*C.uchar)(unsafe.Pointer(&src[0])), C.size_t(len(src)), d, C.size_t(len(dst)))
	runtime.KeepAlive(src)
	runtime.KeepAlive(dst)
	switch {
	case r == 0:
		return nil
	case r == 1:
		return fmt.Errorf("%w: inflated size differs from the recorded %d bytes", ErrCorrupt, len(dst))
	default:
		return fmt.Errorf("%w: zlib error %d", ErrCorrupt, int(r))
	}
}
