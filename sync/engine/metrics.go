package engine

import "github.com/prometheus/client_golang/prometheus"

// Metrics exports the progress of the runs a runner is running as gauges,
// labelled by connector id (a connector runs once at a time, so a label
// set is one run) and never by anything a directory holds. A run's
// series exist while it runs on this replica.
func (r *Runner) Metrics() prometheus.Collector { return runMetrics{r} }

var (
	runObjectsDesc = prometheus.NewDesc("roster_sync_run_objects",
		"Objects of the running sync run of a connector: seen in the directory, changes planned, and changes applied.",
		[]string{"connector", "stage"}, nil)
	runPhaseDesc = prometheus.NewDesc("roster_sync_run_phase",
		"1 for the phase (fetching, planning, applying) the running sync run of a connector is at.",
		[]string{"connector", "phase"}, nil)
	runRateDesc = prometheus.NewDesc("roster_sync_run_rate",
		"Objects per second of the running sync run of a connector, over its current phase.",
		[]string{"connector"}, nil)
	runETADesc = prometheus.NewDesc("roster_sync_run_eta_seconds",
		"Estimated seconds until the running sync run of a connector has applied its plan (applying phase only).",
		[]string{"connector"}, nil)
)

type runMetrics struct{ r *Runner }

// Describe implements prometheus.Collector.
func (m runMetrics) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{runObjectsDesc, runPhaseDesc, runRateDesc, runETADesc} {
		ch <- d
	}
}

// Collect implements prometheus.Collector.
func (m runMetrics) Collect(ch chan<- prometheus.Metric) {
	for _, a := range m.r.Active() {
		p := a.Progress()
		c := a.ConnectorID
		ch <- prometheus.MustNewConstMetric(runObjectsDesc, prometheus.GaugeValue, float64(p.Seen), c, "seen")
		ch <- prometheus.MustNewConstMetric(runObjectsDesc, prometheus.GaugeValue, float64(p.Planned), c, "planned")
		ch <- prometheus.MustNewConstMetric(runObjectsDesc, prometheus.GaugeValue, float64(p.Applied), c, "applied")
		ch <- prometheus.MustNewConstMetric(runPhaseDesc, prometheus.GaugeValue, 1, c, string(p.Phase))
		ch <- prometheus.MustNewConstMetric(runRateDesc, prometheus.GaugeValue, p.Rate, c)
		if p.ETASeconds != nil {
			ch <- prometheus.MustNewConstMetric(runETADesc, prometheus.GaugeValue, *p.ETASeconds, c)
		}
	}
}
