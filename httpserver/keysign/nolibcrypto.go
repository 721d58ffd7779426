//go:build !cgo

package keysign

import "errors"

func load() (library, error) {
	return nil, errors.New("goresty was built with CGO_ENABLED=0")
}
