package config

import "strings"

// interner gives each distinct string of a model one copy of its own. The
// fast YAML reader returns parts of one string holding the whole model
// file, so a model that kept them would keep the file (2.4 MB at 30,000
// jobs) for the whole run; and a job's name, the depends_on entries that
// name it and a job_path many jobs share are one string, not one each.
type interner map[string]string

func (in interner) of(s string) string {
	if s == "" {
		return ""
	}
	if v, ok := in[s]; ok {
		return v
	}
	v := strings.Clone(s)
	in[v] = v
	return v
}

func (in interner) all(list []string) []string {
	for i, s := range list {
		list[i] = in.of(s)
	}
	return list
}

func (in interner) env(m map[string]string) map[string]string {
	if m == nil {
		return nil
	}
	out := make(map[string]string, len(m))
	for k, v := range m {
		out[in.of(k)] = in.of(v)
	}
	return out
}

// detach interns every string of raw that the model keeps, before the
// model is built from it.
func (raw *rawModel) detach() {
	in := interner{}
	o := &raw.options
	o.Namespace, o.JobName, o.FailurePolicy, o.FinallyPhase = in.of(o.Namespace), in.of(o.JobName), in.of(o.FailurePolicy), in.of(o.FinallyPhase)
	o.Env = in.env(o.Env)
	for _, rp := range raw.phases {
		rp.name = in.of(rp.name)
		for _, rj := range rp.jobs {
			rj.name, rj.typ, rj.path = in.of(rj.name), in.of(rj.typ), in.of(rj.path)
			rj.dependsOn = in.all(rj.dependsOn)
			rj.triggerRule, rj.revertPath = in.of(rj.triggerRule), in.of(rj.revertPath)
			rj.env = in.env(rj.env)
		}
	}
}
