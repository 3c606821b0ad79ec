// Package bench holds what tarscache's load test and its baseline server share: the
// benchmark servant and the request packets the load generator sends.
package bench
