//! `uninstall`: delete a release's objects (keeping PVCs and anything marked keep).

use crate::cluster::apply;
use crate::cluster::store::Store;
use crate::cluster::{Cluster, ConnectOptions};
use crate::error::{Error, Result};
use crate::manifest::{self, ObjectRef};
use crate::release::{Status, history};

/// Options of `uninstall`.
#[derive(Debug, Clone)]
pub struct UninstallOptions {
    /// Release name.
    pub release: String,
    /// Namespace.
    pub namespace: String,
    /// Cluster access.
    pub connect: ConnectOptions,
    /// Keep the records, marked `uninstalled`.
    pub keep_history: bool,
}

/// What uninstall did.
#[derive(Debug, Clone, Default)]
pub struct Uninstalled {
    /// Objects deleted.
    pub deleted: Vec<ObjectRef>,
    /// Objects kept (`bscope.io/resource-policy: keep`).
    pub kept: Vec<ObjectRef>,
}

/// Uninstall a release.
pub async fn uninstall(opts: &UninstallOptions) -> Result<Uninstalled> {
    let cluster = Cluster::connect(&opts.connect).await?;
    let (name, ns) = (&opts.release, &opts.namespace);
    let work = async {
        let store = Store::new(&cluster, ns);
        let records = store.history(name).await?;
        let Some(latest) = history::latest(&records).cloned() else {
            return Err(Error::Cluster(format!(
                "release {name} not found in namespace {ns}"
            )));
        };
        if latest.status == Status::Uninstalled {
            return Err(Error::Cluster(format!(
                "release {name} is already uninstalled (history kept)"
            )));
        }
        let mut record = latest.clone();
        record.status = Status::Uninstalling;
        record.description = "Deletion in progress".into();
        store.update(&record).await?;
        // Objects of every revision still recorded, so a failed upgrade's extras go too.
        let mut refs: Vec<ObjectRef> = records
            .iter()
            .flat_map(|r| r.inventory.iter().cloned())
            .collect();
        refs.sort();
        refs.dedup();
        let live = apply::read_owned(&cluster, name, ns, refs.iter()).await?;
        manifest::sort_for_delete(&mut refs);
        let mut done = Uninstalled::default();
        for r in refs {
            match live.get(&r) {
                Some(l) if apply::is_kept(l) => done.kept.push(r),
                Some(_) => {
                    apply::delete(&cluster, &r).await?;
                    done.deleted.push(r);
                }
                None => {}
            }
        }
        if opts.keep_history {
            record.status = Status::Uninstalled;
            record.description = "Uninstallation complete".into();
            store.update(&record).await?;
            for r in records
                .iter()
                .filter(|r| r.status == Status::Deployed && r.revision != record.revision)
            {
                let mut r = r.clone();
                r.status = Status::Superseded;
                store.update(&r).await?;
            }
        } else {
            for r in &records {
                store.delete(name, r.revision).await?;
            }
        }
        Ok(done)
    };
    super::deploy::with_lock(&cluster, ns, name, false, work).await
}
