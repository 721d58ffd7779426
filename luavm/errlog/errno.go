package errlog

import (
	"errors"
	"strconv"
	"syscall"
)

// ErrnoText renders an OS error the way nginx does after a failed call:
// "2: No such file or directory".
func ErrnoText(err error) string {
	var errno syscall.Errno
	if errors.As(err, &errno) {
		return strconv.Itoa(int(errno)) + ": " + capitalize(errno.Error())
	}
	return err.Error()
}

func capitalize(s string) string {
	if s == "" || s[0] < 'a' || s[0] > 'z' {
		return s
	}
	return string(s[0]-'a'+'A') + s[1:]
}

// Strerror is strerror's text for an OS error ("No such file or
// directory"), without the number.
func Strerror(err error) string {
	var errno syscall.Errno
	if errors.As(err, &errno) {
		return capitalize(errno.Error())
	}
	return err.Error()
}
