package luavm

import (
	"github.com/goresty/goresty/confparse"
	"github.com/goresty/goresty/luavm/errlog"
)

// ConfigOptions derives pool options from a parsed configuration:
// worker_processes, the prefix, lua_package_path / lua_package_cpath,
// lua_max_pending_timers / lua_max_running_timers, lua_hook_timeout,
// lua_content_timeout and
// init_by_lua* / init_worker_by_lua* compiled. The caller adds Log and
// Install (ngxapi.Installer).
func ConfigOptions(cfg *confparse.Config, log *errlog.Logger) (Options, error) {
	o := Options{Workers: cfg.Main.WorkerProcesses, Prefix: cfg.Prefix, Log: log}
	h := cfg.HTTP
	if h == nil {
		return o, nil
	}
	o.PackagePath, o.PackageCPath = h.LuaPackagePath, h.LuaPackageCPath
	o.MaxPendingTimers, o.MaxRunningTimers = h.LuaMaxPendingTimers, h.LuaMaxRunningTimers
	o.HookTimeout = h.LuaHookTimeout
	o.Timeouts[PhaseContent] = NoneIfZero(h.LuaContentTimeout)
	o.MaxStringSize = h.LuaMaxStringSize
	o.MaxMemory = h.LuaMaxMemory
	var err error
	if h.InitByLua != nil {
		if o.Init, err = Compile(h.InitByLua); err != nil {
			return o, err
		}
	}
	if h.InitWorkerByLua != nil {
		if o.InitWorker, err = Compile(h.InitWorkerByLua); err != nil {
			return o, err
		}
	}
	return o, nil
}
