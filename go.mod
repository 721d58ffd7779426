module github.com/goresty/goresty

go 1.26.8

require (
	github.com/alecthomas/participle/v2 v2.1.4 // indirect
	github.com/mitchellh/mapstructure v1.5.0 // indirect
	github.com/yuin/gluamapper v0.0.0-20150323120927-d836955830e7 // indirect
	github.com/yuin/gopher-lua v1.1.2 // indirect
)
