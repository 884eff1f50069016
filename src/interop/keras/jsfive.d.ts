// The part of jsfive 0.4.2 (which ships no types) that hdf5.ts uses, internals included: its
// DataObjects hold the parsed object headers, which hdf5.ts reads to check layouts and sizes
// before any data is touched.
declare module 'jsfive' {
  /** A parsed header message: type, size, offset_to_message. */
  export type JsfiveMessage = Map<string, number>;

  export interface JsfiveDataObjects {
    readonly offset: number;
    readonly msgs: JsfiveMessage[];
    readonly is_dataset: boolean;
    readonly shape: number[];
    /** '<f4', '>i8', 'S12', or an array such as ['VLEN_STRING', pad, charset]. */
    readonly dtype: string | unknown[];
    readonly filter_pipeline: unknown[] | null;
    get_attributes(): Record<string, unknown>;
    get_links(): Record<string, number | string>;
    find_msg_type(type: number): JsfiveMessage[];
    _get_data_message_properties(msgOffset: number): [number, number | undefined, number, number];
  }

  export class Group {
    readonly name: string;
    readonly _dataobjects: JsfiveDataObjects;
  }

  export class File extends Group {
    constructor(buffer: ArrayBuffer, filename?: string);
  }
}
