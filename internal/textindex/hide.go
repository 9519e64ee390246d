package textindex

import (
	"bytes"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/sourcegraph/zoekt"
)

// A build that changes more than one file of a repository's shards must not be seen half
// done. A delta build renames its new shard and the .meta overrides of the older ones
// (their branches' versions, the paths it replaces) into place one by one, in no set
// order; a full build over a delta stack renames its shards over the old ones, then
// removes the rest and their overrides. zoekt's directory watcher loads what it finds
// at each change, dropping files before loading others, so a searcher may for a moment
// serve an old shard with the new versions but without the shard that holds the changes,
// or the new shard with an old override: a branch then reads as holding nothing, or
// older content under the current version, and nothing in a document tells which build
// it came from. (A single shard replaced by another is one rename, served throughout.)
//
// So such a build hides the repository from searchers first and shows it again when its
// files are in place. The watcher serves, of each repository name, only the shards of
// the newest index format it finds (it reads both zoekt's current and next format): an
// empty shard of the next format's name hides every current one of that repository in
// one step, and removing it brings them back in one step, all loaded together. While
// hidden, the repository has no branches in the index, so searches read its mirror.

// hiddenShardFile is the file that hides the shards of repository id in dir.
func hiddenShardFile(dir string, id uint32) string {
	return filepath.Join(dir, fmt.Sprintf("%s_v%d.00000.zoekt", url.QueryEscape(shardName(id)), zoekt.NextIndexFormatVersion))
}

// hide hides the shards of repository id from the searchers of dir, and waits for the
// watchers to have seen it: one that was reading the directory when the hiding shard
// appeared would otherwise still load what the build renames next.
func (ix *Indexer) hide(id uint32) error {
	ib, err := zoekt.NewIndexBuilder(&zoekt.Repository{ID: id, Name: shardName(id)})
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	if err := ib.Write(&buf); err != nil {
		return err
	}
	final := hiddenShardFile(ix.opts.Dir, id)
	tmp := final + "." + strconv.FormatInt(time.Now().UnixNano(), 36) + ".tmp"
	if err := os.WriteFile(tmp, buf.Bytes(), 0o644); err != nil {
		return fmt.Errorf("hiding the shards of repository %d: %w", id, err)
	}
	if err := os.Rename(tmp, final); err != nil {
		_ = os.Remove(tmp)
		return fmt.Errorf("hiding the shards of repository %d: %w", id, err)
	}
	time.Sleep(hideSettle)
	return nil
}

// hideSettle is how long hide waits: a watcher's scan of the directory takes
// milliseconds.
const hideSettle = 50 * time.Millisecond

// show removes what hides the shards of repository id, if anything does.
func (ix *Indexer) show(id uint32) {
	_ = os.Remove(hiddenShardFile(ix.opts.Dir, id))
}
