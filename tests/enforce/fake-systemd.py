#!/usr/bin/python3
"""A stand-in for systemd's D-Bus Manager, for hosts without systemd: just
enough of org.freedesktop.systemd1 for transient scopes (Subscribe,
StartTransientUnit, GetUnit, AttachProcessesToUnit, StopUnit, JobRemoved,
Scope.ControlGroup), on real cgroups below PREFIX in the cgroup2 mount. It
checks the calls' signatures by declaring them, records each
StartTransientUnit's properties in RECORD (one JSON line each), and prints
"ready" once it owns the name.

    fake-systemd.py BUS_ADDRESS CGROUP2_MOUNT PREFIX RECORD
"""
import json
import os
import sys

import dbus
import dbus.service
from dbus.mainloop.glib import DBusGMainLoop
from gi.repository import GLib

BUS, MOUNT, PREFIX, RECORD = sys.argv[1:5]
MANAGER = "org.freedesktop.systemd1.Manager"
UNIT_PATH = "/org/freedesktop/systemd1/unit/"


class NoSuchUnit(dbus.DBusException):
    _dbus_error_name = "org.freedesktop.systemd1.NoSuchUnit"


class UnitExists(dbus.DBusException):
    _dbus_error_name = "org.freedesktop.systemd1.UnitExists"


def escape(name):
    """systemd's bus path escaping: [A-Za-z0-9] kept, the rest _xx."""
    return "".join(c if c.isalnum() else "_%02x" % ord(c) for c in name)


class Unit(dbus.service.Object):
    def __init__(self, conn, name, cgroup):
        super().__init__(conn, UNIT_PATH + escape(name))
        self.name, self.cgroup = name, cgroup

    @dbus.service.method("org.freedesktop.DBus.Properties", in_signature="ss", out_signature="v")
    def Get(self, interface, prop):
        if interface == "org.freedesktop.systemd1.Scope" and prop == "ControlGroup":
            return dbus.String(self.cgroup)
        raise dbus.DBusException("no property %s.%s" % (interface, prop))


class Manager(dbus.service.Object):
    def __init__(self, conn):
        super().__init__(conn, "/org/freedesktop/systemd1")
        self.conn, self.units, self.jobs = conn, {}, 0

    def cgroup_dir(self, unit):
        return MOUNT + unit.cgroup

    @dbus.service.method(MANAGER)
    def Subscribe(self):
        pass

    @dbus.service.method(MANAGER, in_signature="ssa(sv)a(sa(sv))", out_signature="o")
    def StartTransientUnit(self, name, mode, props, aux):
        if name in self.units:
            raise UnitExists("Unit %s already exists." % name)
        p = {str(k): v for k, v in props}
        with open(RECORD, "a") as f:
            f.write(json.dumps({"name": str(name), "mode": str(mode),
                                "PIDs": [int(x) for x in p.get("PIDs", [])],
                                "Slice": str(p.get("Slice", "")),
                                "CollectMode": str(p.get("CollectMode", "")),
                                "Description": str(p.get("Description", ""))}) + "\n")
        unit = Unit(self.conn, str(name), "%s/%s/%s" % (PREFIX, p["Slice"], name))
        os.makedirs(self.cgroup_dir(unit))
        for pid in p["PIDs"]:
            with open(self.cgroup_dir(unit) + "/cgroup.procs", "w") as f:
                f.write("%d\n" % pid)
        self.units[str(name)] = unit
        self.jobs += 1
        job = "/org/freedesktop/systemd1/job/%d" % self.jobs
        # as systemd: the reply first, the job's end a moment later
        GLib.idle_add(self.JobRemoved, dbus.UInt32(self.jobs), dbus.ObjectPath(job), name, "done")
        return dbus.ObjectPath(job)

    @dbus.service.method(MANAGER, in_signature="s", out_signature="o")
    def GetUnit(self, name):
        if name not in self.units:
            raise NoSuchUnit("Unit %s not loaded." % name)
        return dbus.ObjectPath(self.units[name].__dbus_object_path__)

    @dbus.service.method(MANAGER, in_signature="ssau")
    def AttachProcessesToUnit(self, name, sub, pids):
        if name not in self.units:
            raise NoSuchUnit("Unit %s not loaded." % name)
        for pid in pids:
            with open(self.cgroup_dir(self.units[name]) + "/cgroup.procs", "w") as f:
                f.write("%d\n" % pid)

    @dbus.service.method(MANAGER, in_signature="ss", out_signature="o")
    def StopUnit(self, name, mode):
        unit = self.units.pop(name, None)
        if unit is None:
            raise NoSuchUnit("Unit %s not loaded." % name)
        os.rmdir(self.cgroup_dir(unit))
        unit.remove_from_connection()
        self.jobs += 1
        return dbus.ObjectPath("/org/freedesktop/systemd1/job/%d" % self.jobs)

    @dbus.service.signal(MANAGER, signature="uoss")
    def JobRemoved(self, job_id, job, unit, result):
        return False    # also GLib.idle_add's "once"


def main():
    DBusGMainLoop(set_as_default=True)
    conn = dbus.bus.BusConnection(BUS)
    name = dbus.service.BusName("org.freedesktop.systemd1", conn)
    Manager(conn)
    os.makedirs(MOUNT + PREFIX + "/kagi.slice", exist_ok=True)
    print("ready", flush=True)
    GLib.MainLoop().run()
    del name


main()
