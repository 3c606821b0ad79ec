package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"time"

	"github.com/tarscache/tarscache/cache"
	"github.com/tarscache/tarscache/sync"
)

// progressEvery is how often a peer download logs how far it got.
const progressEvery = time.Second

// peerBoot fetches, verifies and installs a sibling replica's cache file: the
// hot backup its admin API serves at /v1/backup.
type peerBoot struct {
	peers   []string // admin API base URLs, in the order tried
	token   string   // bearer token of the peers' admin APIs, "" for none
	timeout time.Duration
	log     *slog.Logger
}

// peerURLs turns each --peer (http://HOST:PORT, https://..., or HOST:PORT) into
// the base URL of a peer's admin API.
func peerURLs(list []string) ([]string, error) {
	var out []string
	for _, p := range list {
		base := adminURL(p)
		u, err := url.Parse(base)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil {
			return nil, usageErrorf("--peer %q: want the admin address of another replica, http://HOST:PORT or HOST:PORT", p)
		}
		out = append(out, base)
	}
	return out, nil
}

// blank says whether a cache holds nothing to serve: no servant and never synced
// (a new, emptied or never-initialised file).
func blank(c *cache.Cache) bool {
	return c.Snapshot().Len() == 0 && c.LastSync().IsZero()
}

// bootIfNoSource is serve's boot from a sibling: when c holds nothing and no
// source answers the first attempt, it installs the first peer backup that passes
// verification over c's file and returns the cache reopened on it, with the
// source to report. Otherwise, or when no peer gives a usable backup (logged),
// it returns c as it is. c is closed when it is replaced; on error the returned
// cache is nil.
func bootIfNoSource(ctx context.Context, c *cache.Cache, b *peerBoot, path string, srcs []sync.Source, opts cache.Options) (*cache.Cache, string, error) {
	name, err := firstAnswering(ctx, srcs)
	if err == nil {
		b.log.Info("cache file holds no data; MySQL answers: the first sync fills it, no peer is asked", "file", path, "source", name)
		return c, "", nil
	}
	b.log.Warn("cache file holds no data and no MySQL source answers: booting from a peer", "file", path,
		"peers", b.peers, "err", err)
	peer, err := b.boot(ctx, path)
	if err != nil {
		b.log.Error("boot from a peer failed: answering nothing until MySQL answers", "err", err)
		return c, "", nil
	}
	if err := c.Close(); err != nil {
		return nil, "", err
	}
	c, err = cache.Open(path, opts)
	if err != nil {
		return nil, "", fmt.Errorf("open the file booted from %s: %w", peer, err)
	}
	b.log.Info("booted from a peer: serving its records until MySQL answers", "peer", peer, "servants", c.Snapshot().Len(),
		"peer_last_sync", c.LastSync())
	return c, "peer " + peer, nil
}

// boot tries each peer in order and installs at path the first backup that
// passes verification; it returns that peer. The caller holds path's lock (its
// file holds no data), so nothing else writes it meanwhile.
func (b *peerBoot) boot(ctx context.Context, path string) (string, error) {
	var errs []error
	for _, peer := range b.peers {
		err := b.fromPeer(ctx, peer, path)
		if err == nil {
			return peer, nil
		}
		if ctx.Err() != nil {
			return "", ctx.Err()
		}
		b.log.Error("peer backup refused: trying the next peer", "peer", peer, "err", err)
		errs = append(errs, fmt.Errorf("%s: %w", peer, err))
	}
	return "", fmt.Errorf("no peer gave a usable backup: %w", errors.Join(errs...))
}

// fromPeer downloads one peer's backup next to path, verifies it and moves it
// into place.
func (b *peerBoot) fromPeer(ctx context.Context, peer, path string) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), filepath.Base(path)+".peer-*")
	if err != nil {
		return fmt.Errorf("create the download file: %w", err)
	}
	defer os.Remove(tmp.Name()) // fails harmlessly once renamed
	start := time.Now()
	n, err := b.download(ctx, peer, tmp)
	if err = errors.Join(err, tmp.Sync(), tmp.Close()); err != nil {
		return err
	}
	b.log.Info("peer backup received: verifying it", "peer", peer, "bytes", n, "took", time.Since(start).Round(time.Millisecond))
	servants, lastSync, err := verifyBackup(tmp.Name())
	if err != nil {
		return fmt.Errorf("verify the backup (%d bytes): %w", n, err)
	}
	b.log.Info("peer backup verified", "peer", peer, "servants", servants, "peer_last_sync", lastSync)
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("install the backup: %w", err)
	}
	if err := syncDir(filepath.Dir(path)); err != nil {
		return fmt.Errorf("install the backup: sync %s: %w", filepath.Dir(path), err)
	}
	return nil
}

// download streams peer's /v1/backup into w within b.timeout, logging progress.
func (b *peerBoot) download(ctx context.Context, peer string, w io.Writer) (int64, error) {
	ctx, cancel := context.WithTimeout(ctx, b.timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, peer+"/v1/backup", nil)
	if err != nil {
		return 0, fmt.Errorf("request the backup: %w", err)
	}
	if b.token != "" {
		req.Header.Set("Authorization", "Bearer "+b.token)
	}
	b.log.Info("fetching a backup from a peer", "peer", peer, "timeout", b.timeout)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, fmt.Errorf("request the backup: %w", err)
	}
	defer resp.Body.Close()
	switch resp.StatusCode {
	case http.StatusOK:
	case http.StatusUnauthorized:
		return 0, fmt.Errorf("the peer refused the token: %s (check --peer-token-file: it must hold the peer's --admin-token-file token)", statusText(resp))
	default:
		return 0, fmt.Errorf("GET %s/v1/backup: %s", peer, statusText(resp))
	}
	pw := &progressWriter{w: w, log: b.log, peer: peer, start: time.Now(), last: time.Now()}
	n, err := io.Copy(pw, resp.Body)
	if err != nil {
		return n, fmt.Errorf("download the backup (%d bytes received): %w", n, err)
	}
	return n, nil
}

// progressWriter passes writes on and logs the bytes received every
// progressEvery.
type progressWriter struct {
	w           io.Writer
	log         *slog.Logger
	peer        string
	n           int64
	start, last time.Time
}

func (p *progressWriter) Write(b []byte) (int, error) {
	n, err := p.w.Write(b)
	p.n += int64(n)
	if now := time.Now(); now.Sub(p.last) >= progressEvery {
		p.last = now
		p.log.Info("fetching a backup from a peer", "peer", p.peer, "bytes", p.n, "elapsed", now.Sub(p.start).Round(time.Millisecond))
	}
	return n, err
}

// verifyBackup opens a downloaded file as serve opens its own, which checks all
// of it: the format version, the size against the last commit (truncation),
// bbolt's page consistency, and every record's CRC32 as it loads the records. A
// file with no data is refused too: it would serve nothing.
func verifyBackup(path string) (servants int, lastSync time.Time, err error) {
	c, err := cache.Open(path, cache.Options{})
	if err != nil {
		return 0, time.Time{}, err
	}
	defer c.Close()
	if blank(c) {
		return 0, time.Time{}, errors.New("the backup holds no data: the peer has never synced")
	}
	return c.Snapshot().Len(), c.LastSync(), nil
}
