/*
 * walbuf: a SQLite VFS over the default one that hands the frames a
 * commit appends to the write-ahead log to the kernel in one write.
 *
 * SQLite writes each WAL frame as two pwrite(2) calls (its 24-byte
 * header, then the page), so a commit of n pages costs 2n system calls;
 * on this kind of VM a system call costs more than the SQL around it.
 * walbuf gathers contiguous writes to a WAL file and writes them at once
 * when the commit frame is complete (a frame header whose "database size
 * after commit" field is not zero, SQLite file format §4.1), before any
 * other operation on the file, and at the latest when SQLite publishes
 * the commit to readers (xShmBarrier on the database, which comes before
 * the new WAL-index header is visible).  So a commit returns only once
 * its frames are in the kernel, as without walbuf: kill -9 durability
 * and synchronous=FULL (fsync through xSync, which writes first) keep
 * their meaning, and a write error is the commit's error.
 */
#ifndef TIGRESS_RELAY_WALBUF_H
#define TIGRESS_RELAY_WALBUF_H

#define WALBUF_VFS	"tigress-walbuf"	/* the name to open with */

/*
 * Register the VFS (once; any thread).  Returns SQLITE_OK or SQLite's
 * error; the default VFS is unchanged.
 */
int walbuf_register(void);

#endif
