// A worker forked by a host that then died (killed, crashed): nobody will read its job's results
// or mark its run, so it leaves instead of writing on unsupervised. Each batch commits in one
// synchronous transaction, so leaving between events never leaves a batch half written; the next
// host to open the project marks the run interrupted. Under Electron (a utility process, no IPC
// channel on `process`) the app's processes end with the app.
if (process.send) process.on('disconnect', () => process.exit(0));
