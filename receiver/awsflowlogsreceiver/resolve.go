package awsflowlogsreceiver

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"net/netip"
	"slices"
	"time"

	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	rdstypes "github.com/aws/aws-sdk-go-v2/service/rds/types"
	"go.uber.org/zap"

	"github.com/coordimap/otelcol-coordimap/internal/awsnet"
)

// resolveEnds returns the internal IDs (in scope) of the ends of flow k
// that idx resolves, "" for an end left as its address. Nothing resolves
// without idx or when the flow was logged in an account none of idx's
// interfaces belongs to (another account's addresses are not in idx).
//
//   - The end whose address is one of the logging ENI's (interface-id)
//     resolves to that ENI's owner, or to the instance-id field's instance
//     when the record has one (the attachment at the time of the flow).
//   - When the logging ENI is not in idx (deleted since), the instance-id
//     field names the owner of the end flow-direction points at.
//   - Any other end resolves through the addresses of idx, preferring the
//     ENIs of the flow's VPC (vpc-id field, else the logging ENI's VPC)
//     when private ranges overlap, but only for a flow that ended at
//     lookupSince (unix seconds) or later: idx holds today's addresses,
//     and an address of an old flow may have belonged to another
//     interface since (a flow without an end time counts as recent).
//
// logged is the end the logging ENI's address is on: f.side, else found
// through the logging ENI's addresses (sideUnknown when neither says).
func resolveEnds(k flowKey, f *flowAgg, scope string, idx *awsnet.Index, lookupSince int64) (src, dst string, logged uint8) {
	logged = f.side
	if idx == nil || (f.loc.account != "" && !idx.HasAccount(f.loc.account)) {
		return "", "", logged
	}
	var ends [2]string
	var addrs [2]netip.Addr
	var valid [2]bool
	for i, s := range [2]string{k.src, k.dst} {
		if a, err := netip.ParseAddr(s); err == nil {
			addrs[i], valid[i] = a.Unmap(), true
		}
	}
	vpc := f.vpc
	instance := awsnet.Owner{Type: awsnet.TypeInstance, AWSID: f.instance}
	if eni, ok := idx.Interface(k.iface); ok {
		if vpc == "" {
			vpc = eni.VPC
		}
		owner := eni.Owner
		if f.instance != "" {
			owner = instance
		}
		for i := range ends {
			if valid[i] && eni.Has(addrs[i]) {
				ends[i] = owner.InternalID(scope)
				if logged == sideUnknown {
					logged = sideSource + uint8(i)
				}
			}
		}
	} else if f.instance != "" && f.side != sideUnknown {
		ends[f.side-sideSource] = instance.InternalID(scope)
	}
	if f.last != 0 && f.last < lookupSince {
		return ends[0], ends[1], logged
	}
	for i := range ends {
		if ends[i] != "" || !valid[i] {
			continue
		}
		if o, ok := idx.Lookup(addrs[i], vpc); ok {
			ends[i] = o.InternalID(scope)
		}
	}
	return ends[0], ends[1], logged
}

// resolver holds the network interface indexes of one crawl: each region's
// interfaces are listed at most once per crawl, when a batch first has
// flows logged there.
type resolver struct {
	list func(ctx context.Context, region string) ([]ec2types.NetworkInterface, error)
	// dbs lists a region's RDS DB instances, asked only when the region
	// has an RDS ENI (awsnet's owner rule matches it to its DB instance).
	dbs     func(ctx context.Context, region string) ([]rdstypes.DBInstance, error)
	opts    []awsnet.Option
	logger  *zap.Logger
	indexes map[string]*awsnet.Index
	errs    map[string]error
	// dbErrs are the regions whose DB instances could not be listed:
	// their RDS ENIs resolve to the ENI.
	dbErrs map[string]error
}

func newResolver(list func(context.Context, string) ([]ec2types.NetworkInterface, error), dbs func(context.Context, string) ([]rdstypes.DBInstance, error), logger *zap.Logger, opts ...awsnet.Option) *resolver {
	return &resolver{list: list, dbs: dbs, opts: opts, logger: logger, indexes: map[string]*awsnet.Index{}, errs: map[string]error{}, dbErrs: map[string]error{}}
}

// prepare lists the interfaces of the regions not listed yet in this crawl.
// A region that fails is remembered as failed (its flows keep their
// addresses); only the end of ctx is returned.
func (r *resolver) prepare(ctx context.Context, regions []string) error {
	for _, region := range regions {
		if _, done := r.indexes[region]; done {
			continue
		}
		if _, failed := r.errs[region]; failed {
			continue
		}
		start := time.Now()
		nis, err := r.list(ctx, region)
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			r.errs[region] = err
			continue
		}
		svc := &awsnet.Services{Region: region}
		if r.dbs != nil && slices.ContainsFunc(nis, awsnet.IsRDS) {
			dbs, err := r.dbs(ctx, region)
			if err != nil {
				if ctx.Err() != nil {
					return ctx.Err()
				}
				r.dbErrs[region] = err
			}
			for _, db := range dbs {
				svc.DBInstances = append(svc.DBInstances, awsnet.NewDBInstance(db))
			}
		}
		r.indexes[region] = awsnet.New(nis, append(slices.Clip(r.opts), awsnet.WithServices(svc))...)
		r.logger.Debug("Listed network interfaces", zap.String("region", region),
			zap.Int("interfaces", len(nis)), zap.Int("db_instances", len(svc.DBInstances)), zap.Duration("duration", time.Since(start)))
	}
	return nil
}

// index is region's index; nil when it is unknown or failed.
func (r *resolver) index(region string) *awsnet.Index { return r.indexes[region] }

// listed reports whether any region was tried in this crawl.
func (r *resolver) listed() bool { return len(r.indexes)+len(r.errs) > 0 }

// err joins the failures of this crawl, by region.
func (r *resolver) err() error {
	var errs []error
	for _, m := range []map[string]error{r.errs, r.dbErrs} {
		for _, region := range slices.Sorted(maps.Keys(m)) {
			errs = append(errs, m[region])
		}
	}
	if len(errs) == 0 {
		return nil
	}
	return fmt.Errorf("flows emitted with unresolved endpoints: %w", errors.Join(errs...))
}
