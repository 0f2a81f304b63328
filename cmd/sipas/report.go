package main

import "context"

func cmdReport(ctx context.Context, e env, args []string) error { return usagef("report: not yet built") }
