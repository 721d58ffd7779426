module github.com/goresty/goresty

go 1.26.8

require (
	github.com/alecthomas/participle/v2 v2.1.4
	github.com/golang-fips/openssl/v2 v2.0.3
	github.com/yuin/gluamapper v0.0.0-20150323120927-d836955830e7
	github.com/yuin/gopher-lua v1.1.2
	golang.org/x/net v0.63.0
)

require (
	github.com/mitchellh/mapstructure v1.5.0 // indirect
	golang.org/x/text v0.44.0 // indirect
)
