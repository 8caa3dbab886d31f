package kubernetesreceiver

import (
	"github.com/go-logr/logr"
	"go.uber.org/zap"
)

// klogVerbosity is the highest client-go log verbosity passed on (at
// debug level): informer starts, syncs, watch restarts.
const klogVerbosity = 2

// zapSink hands client-go's contextual logging (informers, reflectors) to
// the collector's logger, at debug level: watch failures reach users once,
// through the receiver's own status reporting.
type zapSink struct {
	logger *zap.Logger
	name   string
}

func newLogr(logger *zap.Logger) logr.Logger {
	return logr.New(&zapSink{logger: logger.WithOptions(zap.AddCallerSkip(1))})
}

func (s *zapSink) Init(logr.RuntimeInfo) {}

func (s *zapSink) Enabled(level int) bool {
	return level <= klogVerbosity && s.logger.Core().Enabled(zap.DebugLevel)
}

func (s *zapSink) Info(_ int, msg string, kv ...any) {
	s.logger.Debug(msg, fields(s.name, kv)...)
}

func (s *zapSink) Error(err error, msg string, kv ...any) {
	s.logger.Debug(msg, append(fields(s.name, kv), zap.Error(err))...)
}

func (s *zapSink) WithValues(kv ...any) logr.LogSink {
	return &zapSink{logger: s.logger.With(fields("", kv)...), name: s.name}
}

func (s *zapSink) WithName(name string) logr.LogSink {
	if s.name != "" {
		name = s.name + "." + name
	}
	return &zapSink{logger: s.logger, name: name}
}

func fields(name string, kv []any) []zap.Field {
	fs := make([]zap.Field, 0, len(kv)/2+1)
	if name != "" {
		fs = append(fs, zap.String("logger", name))
	}
	for i := 0; i+1 < len(kv); i += 2 {
		k, ok := kv[i].(string)
		if !ok {
			continue
		}
		fs = append(fs, zap.Any(k, kv[i+1]))
	}
	return fs
}
