//go:build !unix

package packfile

import "os"

// mapFile reads a file whole where memory mapping is not available here.
func mapFile(path string) ([]byte, func() error, error) {
	b, err := os.ReadFile(path)
	return b, func() error { return nil }, err
}
