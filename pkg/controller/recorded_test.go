package controller

import (
	"reflect"
	"testing"
)

// The store keeps no plan it has written; the output still starts from a
// record with the run's plan (the live view's waiting jobs).
func TestRecordHasThePlanTheStoreDropped(t *testing.T) {
	m := testModel(t, 0, false, []string{"a", "b<-a", "c<-a,b"})
	f := newFixture(t, m)
	if f.c.rec().Plan != nil {
		t.Fatalf("the store kept the plan it wrote")
	}
	got := f.c.Record().Plan
	if len(got) != 3 || !reflect.DeepEqual(got, f.c.plan()) {
		t.Fatalf("Record().Plan = %+v, want the run's plan of 3 jobs", got)
	}
}
