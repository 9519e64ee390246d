// Package packfile reads git objects straight from the pack files of a repository,
// in process, for the one path where Lookout reads a whole tree's blobs at once: a
// content search at a revision.
//
// Reading blobs through "git cat-file" costs more in moving them than in finding them:
// git inflates each blob and writes it through a pipe that Lookout then reads, and the
// two processes wake each other for every few kilobytes. Here the pack and its index
// are mapped into memory and objects are inflated (with the system's zlib when built
// with cgo) straight into Lookout's buffers. Resolving deltas also does better than
// git's delta base cache for this use: a batch names its objects up front, so the
// reader knows which of them are the bases of others and keeps exactly those, where
// git would inflate a base again when it was itself a requested object.
//
// It reads what a repository's object directory holds: packs (index version 2, SHA-1,
// offset and reference deltas, packs over 2 GiB) and loose objects, which git leaves
// after small fetches until its maintenance packs them. Anything else — objects in
// alternates or in packs written after Open, a SHA-256 repository, damaged data — is
// reported per object as ErrNotFound or ErrCorrupt so that the caller can fall back to
// git, which remains the authority on what a repository holds.
package packfile
