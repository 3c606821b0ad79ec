package main

import "os"

func main() {
	setMemoryPolicy()
	os.Exit(run(os.Args, os.Stdout, os.Stderr))
}
