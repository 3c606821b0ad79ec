// Command tarscache answers Tars service discovery from a bbolt cache of the Tars
// registry database. Run "tarscache --help" for its commands.
package main
