package graph

// reverts decides the reverts once the main phases are done. After a
// failure, the revert of every succeeded node runs once the reverts of
// everything downstream of it are done: its dependents' and, through the
// phase barrier, those of every later phase. So they go in reverse
// dependency order, and a revert never runs beside one it must follow. It
// reports whether no revert is left to run or running.
func (d *decider) reverts() bool {
	if !d.failed {
		return true
	}
	subtreeDone := make([]bool, len(d.state)) // node and everything downstream reverted
	laterDone := true                         // every revert of the later phases is done
	for p := len(d.g.phases) - 1; p >= 0; p-- {
		if d.g.phases[p].Finally {
			continue
		}
		lo, hi := d.g.phaseRange(p)
		phaseDone := true
		for k := hi - 1; k >= lo; k-- {
			n := d.g.topo[k]
			down := laterDone
			for _, m := range d.g.nodes[n].Dependents {
				down = down && subtreeDone[m]
			}
			subtreeDone[n] = d.revert(n, down) && down
			phaseDone = phaseDone && subtreeDone[n]
		}
		laterDone = phaseDone
	}
	return laterDone
}

// revert starts node n's revert once everything downstream of it is
// reverted, and reports whether n's own revert is done (or it needs none:
// no revert, or nothing of n to undo).
func (d *decider) revert(n int, downDone bool) bool {
	if !d.g.nodes[n].HasRevert || d.state[n].Main != Succeeded {
		return true
	}
	switch d.state[n].Revert {
	case Pending:
		if downDone {
			d.out.Revert = append(d.out.Revert, n)
		}
	case Succeeded, Failed:
		return true
	}
	return false
}
