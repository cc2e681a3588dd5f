package link

import (
	"context"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/velostream/velostream/link/config"
	"github.com/velostream/velostream/link/offsets"
)

// FailoverOptions configure Failover.
type FailoverOptions struct {
	Options
	// Wait is how long to wait for a running link to stop and report
	// before doing the final sync here; 30 s when 0.
	Wait time.Duration
	// Progress is told what Failover is doing; nil says nothing.
	Progress func(msg string)
}

// Failover fails the link over, as `velo link failover NAME` does: it
// records the request in the link's state topic, where a running link sees
// it, stops replicating, makes the final group sync and writes its report;
// Failover waits for that report. When no running link answers within
// Wait, Failover makes the final sync itself. A link that already failed
// over returns its report again.
func Failover(ctx context.Context, cfg *config.Link, o FailoverOptions) (*offsets.Report, error) {
	o.defaults()
	if o.Wait <= 0 {
		o.Wait = 30 * time.Second
	}
	say := func(format string, args ...any) {
		if o.Progress != nil {
			o.Progress(fmt.Sprintf(format, args...))
		}
	}
	lk, err := New(cfg, o.Options)
	if err != nil {
		return nil, err
	}
	defer lk.Close()
	topic := cfg.StateTopic()
	tops, err := lk.tgt.Topics(ctx)
	if err != nil {
		return nil, err
	}
	if _, ok := tops[topic]; !ok {
		return nil, fmt.Errorf("the target has no state topic %s: link %s never ran against %v", topic, cfg.ID(), cfg.Target.Brokers)
	}
	end, err := lk.loadState(ctx, false)
	if err != nil {
		return nil, err
	}
	if rep := lk.state.Report(); rep != nil {
		say("link %s failed over at %s already", cfg.ID(), rep.At.Format(time.RFC3339))
		return rep, nil
	}
	if lk.state.Failover() == nil {
		host, _ := os.Hostname()
		if err := lk.writeState(ctx, offsets.FailoverRecord(offsets.Failover{At: time.Now(), By: "velo link failover on " + host})); err != nil {
			return nil, err
		}
		say("asked link %s to stop; waiting up to %s for it to report", cfg.ID(), o.Wait)
	} else {
		say("a failover of link %s was asked for before; waiting up to %s for its report", cfg.ID(), o.Wait)
	}
	rep, err := lk.waitReport(ctx, end, o.Wait)
	if err != nil {
		return nil, err
	}
	if rep != nil {
		say("the running link stopped and reported")
		return rep, nil
	}
	say("no running link reported within %s: making the final group sync here", o.Wait)
	if err := lk.finishFailover(ctx); err != nil {
		return nil, err
	}
	return lk.state.Report(), nil
}

// waitReport reads the state topic from offset from until a failover
// report appears or wait passes (nil, nil).
func (lk *Link) waitReport(ctx context.Context, from int64, wait time.Duration) (*offsets.Report, error) {
	topic := lk.cfg.StateTopic()
	cl, err := kgo.NewClient(lk.tgt.Opts(
		kgo.ConsumePartitions(map[string]map[int32]kgo.Offset{topic: {0: kgo.NewOffset().At(from)}}),
		kgo.FetchIsolationLevel(kgo.ReadCommitted()),
	)...)
	if err != nil {
		return nil, err
	}
	defer cl.Close()
	wctx, cancel := context.WithTimeout(ctx, wait)
	defer cancel()
	for {
		fs := cl.PollFetches(wctx)
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		var rep *offsets.Report
		fs.EachRecord(func(r *kgo.Record) {
			if string(r.Key) == "failover/done" && r.Value != nil {
				if err := lk.state.Apply(r.Key, r.Value); err == nil {
					rep = lk.state.Report()
				}
			}
		})
		if rep != nil {
			return rep, nil
		}
		if wctx.Err() != nil {
			return nil, nil
		}
	}
}

// CancelFailover deletes a link's failover request and report, so that the
// link replicates again when it next starts (after a failback, for
// example). A link that is running failed over keeps standing until it is
// restarted.
func CancelFailover(ctx context.Context, cfg *config.Link, o Options) error {
	o.defaults()
	lk, err := New(cfg, o)
	if err != nil {
		return err
	}
	defer lk.Close()
	tops, err := lk.tgt.Topics(ctx)
	if err != nil {
		return err
	}
	if _, ok := tops[cfg.StateTopic()]; !ok {
		return errors.New("the target has no state topic " + cfg.StateTopic() + ": the link never ran")
	}
	return writeState(ctx, lk.tgt, cfg.StateTopic(), offsets.ClearFailoverRecords()...)
}
