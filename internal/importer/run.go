package importer

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"io"
	"path/filepath"

	"github.com/roster/roster/internal/directory"
)

// maxFileName bounds the file name a run records.
const maxFileName = 200

// CommitRecorded commits f as Commit does and records the run, with its
// report (a gzip-compressed CSV, a few MiB for 100,000 rows, built in
// memory), so that the report can be fetched later; it returns the run's
// id. A file with problems writes nothing and records no run. A commit
// stopped half way is recorded too: its first batches were written.
func (im *Importer) CommitRecorded(ctx context.Context, actor directory.Actor, orgID, fileName string, f *File, opts CommitOptions) (*Summary, string, error) {
	var report bytes.Buffer
	zw := gzip.NewWriter(&report)
	rep, err := NewReport(zw, CSV)
	if err != nil {
		return nil, "", err
	}
	started := im.cfg.Now()
	sum, err := im.Commit(ctx, actor, orgID, f, opts, rep)
	if cerr := errors.Join(rep.Close(), zw.Close()); err == nil && cerr != nil {
		err = directory.Internal(cerr)
	}
	if sum == nil || !sum.Committed {
		return sum, "", err
	}
	summary, jerr := json.Marshal(sum)
	if jerr != nil {
		return sum, "", errors.Join(err, directory.Internal(jerr))
	}
	name := filepath.Base(fileName)
	if len(name) > maxFileName || name == "." {
		name = ""
	}
	run := &directory.ImportRun{
		ID: directory.NewID(), OrgID: orgID, FileName: name, Mode: string(opts.Mode),
		StartedAt: started, FinishedAt: im.cfg.Now(), Summary: summary, Report: report.Bytes(),
	}
	counts := map[string]int{"rows": sum.Rows, "created": sum.Creates, "updated": sum.Updates, "unchanged": sum.Unchanged, "failed": sum.Failed}
	// Record what was written even if ctx ended the commit.
	if serr := im.dir.SaveImportRun(context.WithoutCancel(ctx), actor, run, counts); serr != nil {
		return sum, "", errors.Join(err, serr)
	}
	return sum, run.ID, err
}

// RunSummary returns the summary of a recorded run.
func (im *Importer) RunSummary(ctx context.Context, orgID, id string) (*directory.ImportRun, *Summary, error) {
	run, err := im.dir.GetImportRun(ctx, orgID, id)
	if err != nil {
		return nil, nil, err
	}
	var sum Summary
	if err := json.Unmarshal(run.Summary, &sum); err != nil {
		return nil, nil, directory.Internal(err)
	}
	return run, &sum, nil
}

// WriteReport writes a recorded run's report as CSV or XLSX.
func WriteReport(w io.Writer, run *directory.ImportRun, format Format) error {
	zr, err := gzip.NewReader(bytes.NewReader(run.Report))
	if err != nil {
		return directory.Internal(err)
	}
	defer zr.Close()
	if format != XLSX {
		_, err := io.Copy(w, zr) //nolint:gosec // G110: our own report, compressed by CommitRecorded
		return err
	}
	cr := csv.NewReader(zr)
	cr.ReuseRecord = true
	var sw sheetWriter
	for first := true; ; first = false {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			if sw != nil {
				sw.abort()
			}
			return directory.Internal(err)
		}
		// The CSV's cells are neutralized already; the sheet writer
		// neutralizes again.
		for i, c := range rec {
			rec[i] = unneutralize(c)
		}
		if first {
			rec[0] = string(bytes.TrimPrefix([]byte(rec[0]), utf8BOM))
			if sw, err = newSheetWriter(w, XLSX, "Result", rec); err != nil {
				return err
			}
			continue
		}
		if err := sw.write(rec); err != nil {
			sw.abort()
			return err
		}
	}
	if sw == nil {
		return directory.Internal(errors.New("importer: empty report"))
	}
	return sw.close()
}
