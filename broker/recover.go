package broker

import (
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
)

// kfake writes topics.json when a topic is created by a CreateTopics
// request, but not when a producer's metadata request auto-creates one: such
// a topic reaches topics.json only at a clean Close. After a SIGKILL its
// records are on disk under partitions/<topic>-<n>/ but kfake would not load
// them. recoverTopics puts those topics back into topics.json before kfake
// reads it. It knows kfake's on-disk format at persist version 1 (the
// version pinned in go.mod) and leaves any other version alone.

const kfakePersistVersion = 1

// recoverTopics adds to dir/topics.json every topic that has partition
// directories but no entry, with the larger of the partition count found on
// disk and partitions (what auto-creation would have given it: a partition
// that never received a record has no directory). It returns the names of
// the topics it added.
func recoverTopics(dir string, partitions int, log *slog.Logger) ([]string, error) {
	var meta struct {
		Version int `json:"version"`
	}
	switch found, err := readJSON(filepath.Join(dir, "meta.json"), &meta); {
	case err != nil:
		return nil, err
	case !found:
		return nil, nil // a new data dir
	case meta.Version != kfakePersistVersion:
		log.Warn("data dir format unknown to this velo; topics auto-created before an unclean stop are not recovered",
			"data_dir", dir, "version", meta.Version)
		return nil, nil
	}

	// Raw entries keep every field kfake wrote, known to us or not.
	var topics struct {
		Version int               `json:"version"`
		Topics  []json.RawMessage `json:"topics"`
	}
	topicsPath := filepath.Join(dir, "topics.json")
	found, err := readJSON(topicsPath, &topics)
	if err != nil {
		return nil, err
	}
	if !found {
		topics.Version = kfakePersistVersion
	}
	if topics.Version != kfakePersistVersion {
		log.Warn("topics.json format unknown to this velo; topics auto-created before an unclean stop are not recovered",
			"data_dir", dir, "version", topics.Version)
		return nil, nil
	}
	known := map[string]bool{}
	for i, raw := range topics.Topics {
		var t struct {
			Name string `json:"name"`
		}
		if err := json.Unmarshal(raw, &t); err != nil {
			return nil, fmt.Errorf("%s: topic %d: %w", topicsPath, i, err)
		}
		known[t.Name] = true
	}

	onDisk, err := partitionDirs(filepath.Join(dir, "partitions"))
	if err != nil {
		return nil, err
	}
	var added []string
	for name := range onDisk {
		if !known[name] {
			added = append(added, name)
		}
	}
	if len(added) == 0 {
		return nil, nil
	}
	slices.Sort(added)
	for _, name := range added {
		var id [16]byte
		rand.Read(id[:])
		entry, err := json.Marshal(struct {
			Name       string `json:"name"`
			ID         []byte `json:"id"` // base64, as kfake writes its uuid
			Partitions int    `json:"partitions"`
			Replicas   int    `json:"replicas"`
		}{name, id[:], max(onDisk[name], partitions), 1})
		if err != nil {
			return nil, err
		}
		topics.Topics = append(topics.Topics, entry)
		log.Warn("recovered a topic created since the last clean stop", "topic", name, "partitions", max(onDisk[name], partitions))
	}
	if err := writeJSON(topicsPath, topics); err != nil {
		return nil, err
	}
	return added, nil
}

// partitionDirs maps each topic found under dir (kfake names partition
// directories <url-escaped topic>-<partition>) to 1 + its highest partition.
func partitionDirs(dir string) (map[string]int, error) {
	entries, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	out := map[string]int{}
	for _, e := range entries {
		if !e.IsDir() {
			continue
		}
		i := strings.LastIndexByte(e.Name(), '-')
		if i <= 0 {
			continue
		}
		p, err := strconv.Atoi(e.Name()[i+1:])
		if err != nil || p < 0 {
			continue
		}
		name, err := url.PathUnescape(e.Name()[:i])
		if err != nil {
			continue
		}
		out[name] = max(out[name], p+1)
	}
	return out, nil
}

func readJSON(path string, v any) (bool, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	if err := json.Unmarshal(b, v); err != nil {
		return false, fmt.Errorf("%s: %w", path, err)
	}
	return true, nil
}

// writeJSON replaces path atomically, so a crash while recovering leaves
// the old file, never half a new one.
func writeJSON(path string, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), filepath.Base(path)+".*.recover")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(b); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}
