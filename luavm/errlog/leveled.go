package errlog

import "errors"

// Leveled is an error that start-up and -t report at Level rather than
// [emerg] (nginx reports a failed shared memory mapping at [alert]).
type Leveled struct {
	Level Level
	Err   error
}

func (e *Leveled) Error() string { return e.Err.Error() }
func (e *Leveled) Unwrap() error { return e.Err }

// LevelOf is the level err is reported at: a Leveled's, else Emerg.
func LevelOf(err error) Level {
	var l *Leveled
	if errors.As(err, &l) {
		return l.Level
	}
	return Emerg
}
