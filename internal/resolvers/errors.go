package resolvers

import (
	"errors"

	"github.com/lookout/lookout/internal/errcode"
	"github.com/lookout/lookout/internal/store"
)

// storeErr gives store errors that a client can act on their codes; other errors pass
// through and are reported as internal errors by the HTTP layer.
func storeErr(err error) error {
	switch {
	case err == nil:
		return nil
	case errcode.Code(err) != "":
		return err
	case errors.Is(err, store.ErrNotFound):
		return errcode.Wrap(errcode.NotFound, err)
	case errors.Is(err, store.ErrNameTaken), errors.Is(err, store.ErrEmailTaken):
		return errcode.Wrap(errcode.AlreadyExists, err)
	}
	return err
}

func badInput(err error) error { return errcode.Wrap(errcode.BadInput, err) }
